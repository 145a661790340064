// a block beyond the head: null
>> {"jsonrpc":"2.0","id":1,"method":"eth_getTransactionByBlockNumberAndIndex","params":["0x10","0x0"]}
<< {"jsonrpc":"2.0","id":1,"result":null}
