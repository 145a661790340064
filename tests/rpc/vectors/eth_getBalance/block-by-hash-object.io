// EIP-1898 {blockHash} of genesis
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",{"blockHash":"0x9757dd5bcf3f7c73fd6d3b81edd5fdffd6d857b847352db64692bd031f1232c1"}]}
<< {"jsonrpc":"2.0","id":1,"result":"0x21e19e0c9bab2400000"}
