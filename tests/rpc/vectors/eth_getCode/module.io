// a module address answers a one-byte marker so tools treat it as a contract
>> {"jsonrpc":"2.0","id":1,"method":"eth_getCode","params":["0x0000000000000000000000000000000000000801","latest"]}
<< {"jsonrpc":"2.0","id":1,"result":"0xfe"}
