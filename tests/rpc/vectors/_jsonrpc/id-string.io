// a string id is echoed
>> {"jsonrpc":"2.0","id":"abc","method":"eth_chainId"}
<< {"jsonrpc":"2.0","id":"abc","result":"0x7a69"}
